INSERT INTO t (a, "we;ird") VALUES ('it''s; fine', E'back\\slash\'; ok', $$x;y$$, U&'d\0061t\+000061');
SELECT 'a' 'b'; SELECT $tag$ $$ nested $$ $tag$;
