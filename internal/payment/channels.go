package payment

import (
	"context"
	"net/http"
	"net/url"
	"unicode/utf8"
)

// Channel names an order carries (docs/api.md, "channel"). An order without one (written
// before channels existed) is an Alipay order.
const (
	ChannelAlipay = "alipay"
	ChannelWeChat = "wechat"
)

// HTTPNotificationVerifier is implemented by a channel whose notifications are not Alipay's
// signed form but a body with signed headers (WeChat Pay): it verifies them and maps them
// onto the port's Notification. Errors as Channel.VerifyNotification: UNAUTHORIZED for a
// bad signature or resource, INVALID_PARAMETER for a malformed one.
type HTTPNotificationVerifier interface {
	VerifyHTTPNotification(h http.Header, body []byte) (*Notification, error)
}

// AddChannel registers a second channel under name (ChannelWeChat); orders created with
// "channel": name are run through it. The channel given to NewService is ChannelAlipay.
// Call it before serving.
func (s *Service) AddChannel(name string, ch Channel) {
	if s.channels == nil {
		s.channels = map[string]Channel{}
	}
	s.channels[name] = ch
}

// HasChannel reports whether orders may be created on the named channel.
func (s *Service) HasChannel(name string) bool {
	if name == "" || name == ChannelAlipay {
		return s.channel != nil
	}
	_, ok := s.channels[name]
	return ok
}

// channelNamed returns the named channel ("" is Alipay); nil when it is not configured.
func (s *Service) channelNamed(name string) Channel {
	if name == "" || name == ChannelAlipay {
		return s.channel
	}
	return s.channels[name]
}

// channelFor returns the channel an order runs on. An order of a channel that is no
// longer configured gets a channel that answers every call UPSTREAM_UNAVAILABLE, so that
// nothing is decided for it until the channel is configured again.
func (s *Service) channelFor(o *Order) Channel {
	if ch := s.channelNamed(o.Channel); ch != nil {
		return ch
	}
	return missingChannel{name: o.Channel}
}

// channelOf loads the order outTradeNo and returns its channel. Errors: the store's.
func (s *Service) channelOf(ctx context.Context, outTradeNo string) (Channel, error) {
	o, err := s.store.GetOrder(ctx, outTradeNo)
	if err != nil {
		return nil, err
	}
	return s.channelFor(o), nil
}

// OrderChannel is the channel name of o, "alipay" for an order written before channels.
func OrderChannel(o *Order) string {
	if o.Channel == "" {
		return ChannelAlipay
	}
	return o.Channel
}

// checkChannel validates a create request's channel and the rules the channel adds: WeChat
// Pay's out_trade_no is 6 to 32 characters and its description at most 127.
func (s *Service) checkChannel(req *CreateRequest) error {
	if req.Channel == "" {
		req.Channel = ChannelAlipay
	}
	switch req.Channel {
	case ChannelAlipay, ChannelWeChat:
	default:
		return Errorf(CodeInvalidParameter, "channel must be alipay or wechat")
	}
	if !s.HasChannel(req.Channel) {
		return Errorf(CodeInvalidParameter, "channel %s is not configured on this gateway", req.Channel)
	}
	if req.Channel == ChannelWeChat {
		if n := len(req.OutTradeNo); n < 6 || n > 32 {
			return Errorf(CodeInvalidParameter, "out_trade_no must be 6-32 characters for channel wechat")
		}
		if utf8.RuneCountInString(req.Subject) > 127 {
			return Errorf(CodeInvalidParameter, "subject must be at most 127 characters for channel wechat")
		}
	}
	return nil
}

// missingChannel stands in for a channel an order names that is not configured.
type missingChannel struct{ name string }

func (m missingChannel) err() error {
	return Errorf(CodeUpstreamUnavailable, "channel %s is not configured on this gateway", m.name)
}

func (m missingChannel) Precreate(context.Context, PrecreateRequest) (string, error) {
	return "", m.err()
}
func (m missingChannel) Query(context.Context, string) (*Trade, error) { return nil, m.err() }
func (m missingChannel) Refund(context.Context, RefundRequest) (*RefundResult, error) {
	return nil, m.err()
}
func (m missingChannel) RefundQuery(context.Context, string, string) (*RefundResult, error) {
	return nil, m.err()
}
func (m missingChannel) Close(context.Context, string) error { return m.err() }
func (m missingChannel) VerifyNotification(url.Values) (*Notification, error) {
	return nil, Errorf(CodeUnauthorized, "channel %s is not configured", m.name)
}
func (m missingChannel) AppID() string    { return "" }
func (m missingChannel) SellerID() string { return "" }
