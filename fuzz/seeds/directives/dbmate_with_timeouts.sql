-- migrate:up
-- strata:lock-timeout 1h
CREATE TABLE a (id int);

-- migrate:down
-- strata:statement-timeout 0.5m
DROP TABLE a;
