-- What each feed did in run $run_id: status, HTTP code, items, new items, error (failures first).
SELECT f.name, l.status, l.http_status, l.items, l.new_items, l.error
FROM fetch_log l
JOIN feeds f USING (feed_id)
WHERE l.run_id = $run_id
ORDER BY l.status DESC, f.name;
