package console_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"bedside/server/console"
	"bedside/server/store"
)

// AddUser is what "bedside-server user add" calls: it prints the one-time password.
func ExampleAddUser() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "bedside")
	defer os.RemoveAll(dir)
	st, err := store.Open(ctx, filepath.Join(dir, "bedside.db"), store.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer st.Close()
	if _, err := st.CreateWard(ctx, store.Ward{Name: "Ward 3"}); err != nil {
		fmt.Println(err)
		return
	}
	pw, err := console.AddUser(ctx, st, "giulia", store.RoleNurse, []string{"Ward 3"}, rand.Reader)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(pw), strings.Count(pw, "-"))
	// Output: 19 3
}
