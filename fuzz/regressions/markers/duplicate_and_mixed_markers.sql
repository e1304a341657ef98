-- +goose Up
-- migrate:up
-- +goose Up
SELECT 1;
-- +goose StatementBegin
