-- UP
CREATE TABLE users (id int);
-- DOWN
DROP TABLE users;
