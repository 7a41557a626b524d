package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
)

// PutPhoto stores a photo under its hash, the lower-case hex SHA-256 of data (ErrInvalid when
// it is not). Photos are content-addressed: putting the same photo again changes nothing.
func (s *DB) PutPhoto(ctx context.Context, hash string, contentType string, data []byte) error {
	sum := sha256.Sum256(data)
	if len(data) == 0 || hash != hex.EncodeToString(sum[:]) {
		return fmt.Errorf("put photo: hash does not match the data: %w", ErrInvalid)
	}
	if strings.TrimSpace(contentType) == "" {
		return fmt.Errorf("put photo %s: no content type: %w", hash, ErrInvalid)
	}
	if _, err := s.write.ExecContext(ctx, `INSERT INTO photos (hash, content_type, data, created)
		VALUES (?, ?, ?, ?) ON CONFLICT (hash) DO NOTHING`, hash, contentType, data, ts(s.now())); err != nil {
		return fmt.Errorf("put photo %s: %w", hash, mapErr(err))
	}
	return nil
}

// Photo returns a stored photo's content type and bytes.
func (s *DB) Photo(ctx context.Context, hash string) (contentType string, data []byte, err error) {
	if err := s.read.QueryRowContext(ctx, `SELECT content_type, data FROM photos WHERE hash = ?`, hash).
		Scan(&contentType, &data); err != nil {
		return "", nil, fmt.Errorf("photo %s: %w", hash, mapErr(err))
	}
	return contentType, data, nil
}
