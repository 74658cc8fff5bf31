package web

import (
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"
)

// mountAdmin adds the console's routes; without a password hash they all answer that the
// console is switched off.
func (h *Handler) mountAdmin(g *gin.RouterGroup) {
	if !h.admin.enabled() {
		g.Any("/*any", func(c *gin.Context) {
			h.adminError(c, http.StatusNotFound, "The console is switched off: set admin.password_hash (F2FPAY_ADMIN_PASSWORD_HASH).")
		})
		return
	}
	g.GET("/login", h.loginPage)
	g.POST("/login", h.login)
	in := g.Group("", h.requireSession)
	in.POST("/logout", h.logout)
	in.GET("", h.dashboard)
	in.GET("/", h.dashboard)
	in.GET("/orders", h.orders)
	in.GET("/orders/:no", h.order)
	in.POST("/orders/:no/refund", h.refund)
	in.POST("/orders/:no/close", h.closeOrder)
	in.POST("/orders/:no/sync", h.syncOrder)
	in.POST("/events/:id/resend", h.resend)
	in.GET("/clients", h.clients)
	in.POST("/clients", h.createClient)
	in.POST("/clients/:app/rotate", h.rotateClient)
	in.POST("/clients/:app/rotate-webhook", h.rotateWebhook)
	in.POST("/clients/:app/disable", h.disableClient)
	in.POST("/clients/:app/enable", h.enableClient)
	h.mountReconciliation(in)
	h.mountCharge(in)
}

// consoleData starts the data of a console page.
func (h *Handler) consoleData(c *gin.Context, title, nav string) pageData {
	return pageData{Lang: "en", Title: title + " · f2fpay console", Asset: h.assetTag, Kind: "admin", CSRF: csrfOf(c), Nav: nav}
}

type messageView struct {
	pageData
	Message string
}

// adminError renders a console page that only explains what went wrong.
func (h *Handler) adminError(c *gin.Context, status int, msg string) {
	d := h.consoleData(c, http.StatusText(status), "")
	if d.CSRF == "" {
		d.Nav = "" // not logged in: no navigation
	} else {
		d.Nav = "none"
	}
	h.render(c, status, "message", messageView{pageData: d, Message: msg})
}

type loginView struct {
	pageData
	Token   string
	Message string
}

func (h *Handler) renderLogin(c *gin.Context, status int, msg string) {
	token, err := c.Cookie(loginCookie)
	if err != nil || len(token) < 32 {
		token = randomString()
		h.admin.setCookie(c, loginCookie, token, 3600)
	}
	h.render(c, status, "login", loginView{
		pageData: pageData{Lang: "en", Title: "Log in · f2fpay console", Asset: h.assetTag, Kind: "login"},
		Token:    token, Message: msg})
}

func (h *Handler) loginPage(c *gin.Context) { h.renderLogin(c, http.StatusOK, "") }

// login checks the login form's double-submit token, the lockout and the password, then
// starts a session.
func (h *Handler) login(c *gin.Context) {
	cookie, _ := c.Cookie(loginCookie)
	if !sameOrigin(c) || !equal(c.PostForm("csrf"), cookie) {
		h.renderLogin(c, http.StatusForbidden, "The form expired (missing or wrong CSRF token); please try again.")
		return
	}
	ok, locked := h.admin.check(c.Request.Context(), c.ClientIP(), c.PostForm("password"))
	ip := slog.String("ip", c.ClientIP())
	switch {
	case ok:
		id, _ := h.admin.newSession()
		h.admin.setCookie(c, sessionCookie, id, int(SessionLifetime.Seconds()))
		h.admin.setCookie(c, loginCookie, "", -1)
		h.log.Info("console login", ip)
		c.Redirect(http.StatusSeeOther, "/admin")
	case locked:
		h.log.Warn("console login locked", ip)
		h.renderLogin(c, http.StatusTooManyRequests,
			"Too many failed attempts from your address: login from it is locked for 15 minutes.")
	default:
		h.log.Warn("console login failed", ip)
		h.renderLogin(c, http.StatusUnauthorized, "Wrong password.")
	}
}

func (h *Handler) logout(c *gin.Context) {
	id, _ := c.Cookie(sessionCookie)
	h.admin.endSession(id)
	h.admin.setCookie(c, sessionCookie, "", -1)
	c.Redirect(http.StatusSeeOther, "/admin/login")
}
