-- GET /books?author=...&genre=... filters on these columns and pages by id.
CREATE INDEX books_author_id ON books (author, id);
CREATE INDEX books_genre_id ON books (genre, id);
