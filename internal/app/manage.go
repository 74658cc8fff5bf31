package app

import (
	"context"
	"fmt"

	"github.com/f2fpay/f2fpay/internal/app/backend"
	"github.com/f2fpay/f2fpay/internal/config"
	"github.com/f2fpay/f2fpay/internal/payment"
	"github.com/f2fpay/f2fpay/internal/secretbox"
)

// Manage opens the database of cfg and a service over it with no channel, for the
// management commands (client, migrate) that change merchant clients but never call Alipay.
// Without a master key the service can list clients but not create or rotate them. The
// caller closes the store.
func Manage(ctx context.Context, cfg *config.Config) (payment.Store, *payment.Service, error) {
	st, err := backend.OpenStore(ctx, cfg.Database, cfg.DatabasePool)
	if err != nil {
		return nil, nil, err
	}
	var box payment.SecretBox
	if cfg.MasterKey != "" {
		if box, err = secretbox.New(cfg.MasterKey); err != nil {
			st.Close()
			return nil, nil, err
		}
	}
	allow, err := payment.ParseNetworks(cfg.Webhooks.AllowNetworks)
	if err != nil {
		st.Close()
		return nil, nil, fmt.Errorf("webhooks.allow_networks: %v", err)
	}
	return st, payment.NewService(st, nil, box, nil, payment.Config{WebhookAllowNetworks: allow}, nil), nil
}
