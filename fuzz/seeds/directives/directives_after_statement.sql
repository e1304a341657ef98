SELECT 1;
-- strata:lock-timeout 2s
-- strata:bogus
