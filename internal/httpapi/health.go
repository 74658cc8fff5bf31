package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/f2fpay/f2fpay/api"
)

// readyTimeout bounds the database ping of /ready.
const readyTimeout = 2 * time.Second

// health answers that the process serves HTTP, and which build it runs; it touches nothing
// else, so that a slow database never makes a load balancer think the process died.
func (s *server) health(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"status": "ok", "version": s.version})
}

// ready answers 200 when this instance should get new work: not while it drains before a
// stop (503 "draining"), nor when the database does not answer a ping (503 "unavailable").
func (s *server) ready(c *gin.Context) {
	if s.draining != nil && s.draining() {
		c.JSON(http.StatusServiceUnavailable, gin.H{"status": "draining"})
		return
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), readyTimeout)
	defer cancel()
	if err := s.svc.Store().Ping(ctx); err != nil {
		s.log.WarnContext(c.Request.Context(), "readiness check failed", slog.String("request_id", requestIDOf(c)), slog.Any("err", err))
		c.JSON(http.StatusServiceUnavailable, gin.H{"status": "unavailable"})
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": "ready"})
}

// serveOpenAPI answers the embedded OpenAPI description of the merchant API.
func serveOpenAPI(c *gin.Context) {
	c.Header("Cache-Control", "public, max-age=300")
	c.Data(http.StatusOK, "application/yaml; charset=utf-8", api.OpenAPI)
}
