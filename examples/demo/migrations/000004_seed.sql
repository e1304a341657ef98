-- +goose Up
INSERT INTO users (id, email) VALUES (1, 'ada@example.com');
INSERT INTO posts (user_id, title, body) VALUES (1, 'Hello', 'First post; with a semicolon.');

-- +goose Down
DELETE FROM posts;
DELETE FROM users;
