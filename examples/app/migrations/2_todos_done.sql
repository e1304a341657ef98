-- migrate:up
ALTER TABLE todos ADD COLUMN done boolean NOT NULL DEFAULT false;

-- migrate:down
ALTER TABLE todos DROP COLUMN done;
