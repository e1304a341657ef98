-- +goose Up
CREATE TABLE posts (id integer PRIMARY KEY, user_id integer NOT NULL);
-- +goose Down
DROP TABLE posts;
