package web

import (
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
)

// RotationGrace is how long a rotated client secret keeps verifying requests, so that the
// merchant can deploy the new one without downtime.
const RotationGrace = 24 * time.Hour

type clientRow struct {
	AppID, Name, NotifyURL, Created string
	Disabled, Rotating              bool
}

type clientsView struct {
	pageData
	Clients []clientRow
	// Secret is shown once, after a create or a rotation.
	SecretApp, Secret, SecretNote string
	Error                         string
}

// clients lists the merchant API clients with create, rotate and disable/enable forms.
func (h *Handler) clients(c *gin.Context) { h.renderClients(c, http.StatusOK, clientsView{}) }

func (h *Handler) renderClients(c *gin.Context, status int, v clientsView) {
	v.pageData = h.consoleData(c, "Clients", "clients")
	list, err := h.store.ListClients(c.Request.Context())
	if err != nil {
		h.internalError(c, err)
		return
	}
	now := h.now()
	for _, cl := range list {
		v.Clients = append(v.Clients, clientRow{AppID: cl.AppID, Name: cl.Name, NotifyURL: cl.NotifyURL,
			Created: h.fmtTime(cl.CreatedAt), Disabled: cl.Disabled,
			Rotating: cl.PrevSecretUntil != nil && now.Before(*cl.PrevSecretUntil)})
	}
	h.render(c, status, "clients", v)
}

// createClient registers a client and shows its secret once.
func (h *Handler) createClient(c *gin.Context) {
	cl, secret, err := h.svc.CreateClient(c.Request.Context(), strings.TrimSpace(c.PostForm("name")), strings.TrimSpace(c.PostForm("notify_url")))
	if err != nil {
		status, msg := actionStatus(err)
		h.renderClients(c, status, clientsView{Error: msg})
		return
	}
	h.log.Info("console: client created", "app_id", cl.AppID)
	h.renderClients(c, http.StatusOK, clientsView{SecretApp: cl.AppID, Secret: secret,
		SecretNote: "Client created. Copy the secret now: it is not shown again."})
}

// rotateClient gives a client a new secret; the old one verifies for RotationGrace more.
func (h *Handler) rotateClient(c *gin.Context) {
	app := c.Param("app")
	secret, err := h.svc.RotateClient(c.Request.Context(), app, RotationGrace)
	if err != nil {
		status, msg := actionStatus(err)
		h.renderClients(c, status, clientsView{Error: msg})
		return
	}
	h.log.Info("console: client secret rotated", "app_id", app)
	h.renderClients(c, http.StatusOK, clientsView{SecretApp: app, Secret: secret,
		SecretNote: "Secret rotated. The previous secret keeps working for 24 hours. Copy the new one now: it is not shown again."})
}

func (h *Handler) disableClient(c *gin.Context) { h.setDisabled(c, true) }
func (h *Handler) enableClient(c *gin.Context)  { h.setDisabled(c, false) }

func (h *Handler) setDisabled(c *gin.Context, disabled bool) {
	app := c.Param("app")
	if err := h.svc.SetClientDisabled(c.Request.Context(), app, disabled); err != nil {
		status, msg := actionStatus(err)
		h.renderClients(c, status, clientsView{Error: msg})
		return
	}
	h.log.Info("console: client disabled changed", "app_id", app, "disabled", disabled)
	c.Redirect(http.StatusSeeOther, "/admin/clients")
}
