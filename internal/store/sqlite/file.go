package sqlite

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// fileMode is the mode of a database file this package creates: it holds sealed client
// secrets, orders and the notification audit, so only its owner may read it. SQLite gives
// the -wal and -shm files it creates beside it the main file's mode, whatever the umask.
const fileMode fs.FileMode = 0o600

// createFile creates the database file at path with fileMode unless it exists already; an
// existing file keeps the mode its operator gave it.
func createFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, fileMode)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("sqlite: create %s: %w", path, err)
	}
	err = f.Chmod(fileMode) // exactly fileMode, even under a umask that takes owner bits
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sqlite: create %s: %w", path, err)
	}
	return nil
}
