-- +migrate Down
DROP TABLE t;
-- +migrate Up
CREATE TABLE t ();