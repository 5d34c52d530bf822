// Command ferretdb runs FerretDB v1 (a MongoDB-wire database on SQLite or
// PostgreSQL) for the POS audit archive.
//
// It embeds github.com/FerretDB/FerretDB/ferretdb instead of building
// FerretDB's own cmd/ferretdb, because that command panics at start when
// built from the module proxy (build/version/version.txt is not shipped).
package main

import (
	"context"
	"flag"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen-addr", "127.0.0.1:27027", "TCP address to listen on")
	handler := flag.String("handler", "sqlite", `backend: "sqlite" or "postgresql"`)
	sqliteURL := flag.String("sqlite-url", "file:data/", "SQLite directory URL (handler sqlite)")
	postgresqlURL := flag.String("postgresql-url", "", "PostgreSQL URL (handler postgresql)")
	check := flag.String("check", "", "only check that ADDR accepts connections, then exit 0 or 1 (a container healthcheck)")
	flag.Parse()

	if *check != "" {
		conn, err := net.DialTimeout("tcp", *check, 2*time.Second)
		if err != nil {
			os.Exit(1)
		}
		conn.Close()
		os.Exit(0)
	}

	pgURL, err := withCustomPlans(*postgresqlURL)
	if *handler == "postgresql" && err != nil {
		slog.Error("bad --postgresql-url", "error", err)
		os.Exit(1)
	}

	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))

	f, err := ferretdb.New(&ferretdb.Config{
		Listener:      ferretdb.ListenerConfig{TCP: *listen},
		Logger:        logger,
		Handler:       *handler,
		SQLiteURL:     *sqliteURL,
		PostgreSQLURL: pgURL,
	})
	if err != nil {
		logger.Error("cannot start", "error", err)
		os.Exit(1)
	}

	// SIGTERM/SIGINT stop the listener and close the backend cleanly.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	logger.Warn("listening", "uri", f.MongoDBURI(), "handler", *handler)
	if err := f.Run(ctx); err != nil {
		logger.Error("stopped", "error", err)
		os.Exit(1)
	}
}

// withCustomPlans sets plan_cache_mode=force_custom_plan on FerretDB's PostgreSQL connections,
// unless the URL sets it. FerretDB 1.24 sends a pushed-down equality as `_jsonb->$1 @> $2` in a
// cached prepared statement; after five runs PostgreSQL may switch to a generic plan, which sees
// `_jsonb->$1` and can use no index (not even the GIN twins of services/ferretdb/postgresql.sql).
// A custom plan sees `_jsonb->'actor'` and uses them.
func withCustomPlans(raw string) (string, error) {
	if raw == "" {
		return raw, nil
	}

	u, err := url.Parse(raw)
	if err != nil {
		return "", err
	}

	q := u.Query()
	if q.Get("plan_cache_mode") == "" {
		q.Set("plan_cache_mode", "force_custom_plan")
		u.RawQuery = q.Encode()
	}

	return u.String(), nil
}
