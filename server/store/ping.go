package store

import "context"

// Ping checks that the database answers a query, through the read pool (what most requests
// use) and the writer (what every change waits for); a readiness probe calls it.
func (s *DB) Ping(ctx context.Context) error {
	var one int
	if err := s.read.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return mapErr(err)
	}
	return mapErr(s.write.PingContext(ctx))
}
