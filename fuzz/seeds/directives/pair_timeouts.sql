-- strata:lock-timeout 2s
-- strata:statement-timeout 10m
CREATE TABLE a (id int);
