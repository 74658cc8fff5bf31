package web

import (
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
)

// RotationGrace is how long a rotated secret (API or webhook) keeps working by default, so
// that the merchant can deploy the new one without downtime. The console can also rotate
// without grace, to revoke a leaked secret at once.
const RotationGrace = 24 * time.Hour

type clientRow struct {
	AppID, Name, NotifyURL, Created string
	Disabled, Rotating              bool
	WebhookRotating, NoWebhook      bool // webhook secret: in a rotation's grace; none issued yet
}

type clientsView struct {
	pageData
	Clients []clientRow
	// Secret and WebhookSecret are shown once, after a create or a rotation.
	SecretApp, Secret, WebhookSecret, SecretNote string
	Error                                        string
}

// clients lists the merchant API clients with create, rotate and disable/enable forms.
func (h *Handler) clients(c *gin.Context) { h.renderClients(c, http.StatusOK, clientsView{}) }

func (h *Handler) renderClients(c *gin.Context, status int, v clientsView) {
	v.pageData = h.consoleData(c, "Clients", "clients")
	list, err := h.store.ListMerchants(c.Request.Context())
	if err != nil {
		h.internalError(c, err)
		return
	}
	now := h.now()
	for _, cl := range list {
		v.Clients = append(v.Clients, clientRow{AppID: cl.AppID, Name: cl.Name, NotifyURL: cl.NotifyURL,
			Created: h.fmtTime(cl.CreatedAt), Disabled: cl.Disabled,
			Rotating:        cl.PrevSecretUntil != nil && now.Before(*cl.PrevSecretUntil),
			WebhookRotating: cl.PrevWebhookSecretUntil != nil && now.Before(*cl.PrevWebhookSecretUntil),
			NoWebhook:       cl.WebhookSecretSealed == ""})
	}
	h.render(c, status, "clients", v)
}

// createClient registers a client and shows its two secrets once.
func (h *Handler) createClient(c *gin.Context) {
	cl, secrets, err := h.svc.CreateMerchantWithSecrets(c.Request.Context(), strings.TrimSpace(c.PostForm("name")), strings.TrimSpace(c.PostForm("notify_url")))
	if err != nil {
		status, msg := actionStatus(err)
		h.renderClients(c, status, clientsView{Error: msg})
		return
	}
	h.log.Info("console: client created", slog.String("app_id", cl.AppID))
	h.renderClients(c, http.StatusOK, clientsView{SecretApp: cl.AppID, Secret: secrets.API, WebhookSecret: secrets.Webhook,
		SecretNote: "Client created. Copy both secrets now: they are not shown again. The secret signs the merchant's " +
			"API requests; the webhook secret only verifies the webhooks it receives."})
}

// rotateClient gives a client a new API secret; the old one verifies for RotationGrace
// more, or not at all with grace=none.
func (h *Handler) rotateClient(c *gin.Context) { h.rotate(c, false) }

// rotateWebhook gives a client a new webhook secret; the old one also signs webhooks for
// RotationGrace more, or not at all with grace=none.
func (h *Handler) rotateWebhook(c *gin.Context) { h.rotate(c, true) }

func (h *Handler) rotate(c *gin.Context, webhook bool) {
	app := c.Param("app")
	grace, ok := rotationGrace(c.PostForm("grace"))
	if !ok {
		h.renderClients(c, http.StatusBadRequest, clientsView{Error: "grace must be default or none."})
		return
	}
	rotate, what := h.svc.RotateMerchant, "secret"
	if webhook {
		rotate, what = h.svc.RotateWebhookSecret, "webhook secret"
	}
	secret, err := rotate(c.Request.Context(), app, grace)
	if err != nil {
		status, msg := actionStatus(err)
		h.renderClients(c, status, clientsView{Error: msg})
		return
	}
	h.log.Info("console: client "+what+" rotated", slog.String("app_id", app), slog.Duration("grace", grace))
	v := clientsView{SecretApp: app, SecretNote: "The " + what + " was rotated and the previous one is revoked now. " +
		"Copy the new one now: it is not shown again."}
	if grace > 0 {
		v.SecretNote = "The " + what + " was rotated. The previous one keeps working for 24 hours. Copy the new one now: it is not shown again."
	}
	if webhook {
		v.WebhookSecret = secret
	} else {
		v.Secret = secret
	}
	h.renderClients(c, http.StatusOK, v)
}

// rotationGrace reads the grace field of a rotate form: "" or "default" is RotationGrace,
// "none" revokes the previous secret at once.
func rotationGrace(v string) (time.Duration, bool) {
	switch v {
	case "", "default":
		return RotationGrace, true
	case "none":
		return 0, true
	}
	return 0, false
}

func (h *Handler) disableClient(c *gin.Context) { h.setDisabled(c, true) }
func (h *Handler) enableClient(c *gin.Context)  { h.setDisabled(c, false) }

func (h *Handler) setDisabled(c *gin.Context, disabled bool) {
	app := c.Param("app")
	if err := h.svc.SetMerchantDisabled(c.Request.Context(), app, disabled); err != nil {
		status, msg := actionStatus(err)
		h.renderClients(c, status, clientsView{Error: msg})
		return
	}
	h.log.Info("console: client disabled changed", slog.String("app_id", app), slog.Bool("disabled", disabled))
	c.Redirect(http.StatusSeeOther, "/admin/clients")
}
