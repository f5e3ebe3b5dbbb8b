-- The books table. AUTOINCREMENT: an id is never handed out twice, even after the
-- newest book is deleted, so a book's URL never comes to name another book.
CREATE TABLE books (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    isbn TEXT NOT NULL,
    title TEXT NOT NULL,
    author TEXT NOT NULL,
    genre TEXT NOT NULL,
    year INTEGER NOT NULL,
    CONSTRAINT books_isbn_unique UNIQUE (isbn)
);
