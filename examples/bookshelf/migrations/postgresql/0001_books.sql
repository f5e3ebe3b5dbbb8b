-- The books table. An identity column never hands out an id twice, so a book's URL
-- never comes to name another book.
CREATE TABLE books (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    isbn TEXT NOT NULL,
    title TEXT NOT NULL,
    author TEXT NOT NULL,
    genre TEXT NOT NULL,
    year INTEGER NOT NULL,
    CONSTRAINT books_isbn_unique UNIQUE (isbn)
);
