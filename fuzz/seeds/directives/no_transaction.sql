-- strata:no-transaction
-- strata:lock-timeout 1500ms
CREATE INDEX CONCURRENTLY i ON a (id);
