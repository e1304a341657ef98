SELECT 'é';é; ;SELECT "ü";
;