-- +goose Up
-- strata:out-of-order
SELECT 1;
-- +goose Down
SELECT 2;
