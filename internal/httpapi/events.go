package httpapi

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/f2fpay/f2fpay/internal/payment"
)

type eventList struct {
	Data      []payment.EventObject `json:"data"`
	HasMore   bool                  `json:"has_more"`
	NextAfter int64                 `json:"next_after"`
}

// listEvents pages through the client's events, oldest first, after a sequence number.
// next_after is the sequence of the last event listed (or the given after when none is),
// so a consumer can always pass it back.
func (s *server) listEvents(c *gin.Context) {
	after, err := intParam(c, "after", 0, 1<<62)
	if err != nil {
		writeError(c, err)
		return
	}
	limit, err := intParam(c, "limit", 1, 200)
	if err != nil {
		writeError(c, err)
		return
	}
	ctx, appID := c.Request.Context(), clientOf(c).AppID
	events, err := s.svc.Events(ctx, appID, after, int(limit))
	if err != nil {
		writeError(c, err)
		return
	}
	out := eventList{Data: make([]payment.EventObject, 0, len(events)), NextAfter: after}
	for _, e := range events {
		out.Data = append(out.Data, payment.EventView(e))
	}
	if n := len(events); n > 0 {
		out.NextAfter = events[n-1].Seq
		if limit == 0 || n == int(limit) {
			more, err := s.svc.Events(ctx, appID, out.NextAfter, 1)
			if err != nil {
				writeError(c, err)
				return
			}
			out.HasMore = len(more) > 0
		}
	}
	c.JSON(http.StatusOK, out)
}

// resendEvent schedules the event's webhook for delivery now, whatever its delivery state
// (delivered, dead, pending), and answers 202 with the event. Another client's event is
// NOT_FOUND.
func (s *server) resendEvent(c *gin.Context) {
	e, err := s.svc.ResendEvent(c.Request.Context(), clientOf(c).AppID, c.Param("event_id"))
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusAccepted, payment.EventView(e))
}
