CREATE TABLE t (a int, b text);
COPY public.t (a, b) FROM stdin;
1	$$;--
2	\N
\.
SELECT 1;
COPY t FROM stdin WITH (FORMAT csv);
3,x
