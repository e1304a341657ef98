-- UP
SELECT 'é'; -- DOWN