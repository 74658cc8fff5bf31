package alipay

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/smartwalle/alipay/v3"

	"github.com/f2fpay/f2fpay/internal/alipay/bill"
	"github.com/f2fpay/f2fpay/internal/payment"
)

// MaxBillZip bounds a bill zip, downloaded or read by hand. A day of 200,000 rows
// compresses to about 10 MiB.
const MaxBillZip = 64 << 20

// billTimeout bounds a bill download unless the channel's timeout is longer.
const billTimeout = 2 * time.Minute

var _ payment.BillSource = (*Channel)(nil)

// billURLRsp is the answer of alipay.data.dataservice.bill.downloadurl.query. Its link is
// a credential for a short time, so what the Recorder keeps of it omits the query string.
type billURLRsp struct {
	alipay.Error
	BillDownloadURL string `json:"bill_download_url"`
	BillFileCode    string `json:"bill_file_code"`
}

// MarshalJSON writes the answer for the call log, the link without its token.
func (r billURLRsp) MarshalJSON() ([]byte, error) {
	link := r.BillDownloadURL
	if u, err := url.Parse(link); err == nil {
		u.RawQuery, u.Fragment = "", ""
		link = u.String() + "?…"
	}
	return json.Marshal(struct {
		Code, Msg, SubCode, SubMsg, BillDownloadURL, BillFileCode string
	}{string(r.Code), r.Msg, r.SubCode, r.SubMsg, link, r.BillFileCode})
}

// DownloadBill asks alipay.data.dataservice.bill.downloadurl.query for the trade bill of
// day (bill_type=trade), downloads the zip from the link within its short life, and parses
// it. Errors: payment.ErrBillNotReady for Alipay's "no bill (yet)" sub codes
// (isp.bill_not_exist, BILL_NOT_EXIST, NO_BILL_DATA); UPSTREAM_REJECTED; UPSTREAM_UNAVAILABLE
// (no answer, or the download failed); INVALID_PARAMETER (a malformed bill).
func (c *Channel) DownloadBill(ctx context.Context, day payment.BillDay) (*payment.Bill, error) {
	const method = "alipay.data.dataservice.bill.downloadurl.query"
	var rsp billURLRsp
	err := c.call(ctx, "", alipay.BillDownloadURLQuery{BillType: "trade", BillDate: string(day)}, &rsp, &rsp.Error)
	if billNotReady(err) {
		return nil, payment.ErrBillNotReady
	}
	if err != nil {
		return nil, err
	}
	if rsp.BillDownloadURL == "" {
		return nil, payment.Errorf(payment.CodeUpstreamUnavailable, "%s: success without bill_download_url", method)
	}
	data, err := c.fetchBill(ctx, rsp.BillDownloadURL)
	if err != nil {
		return nil, err
	}
	return c.ParseBill(data)
}

// billNotReady reports Alipay's answers for a bill that does not exist (yet), whatever
// code they come with (isp.* is otherwise an unknown outcome).
func billNotReady(err error) bool {
	var pe *payment.Error
	if !errors.As(err, &pe) {
		return false
	}
	sub := strings.ToLower(pe.AlipaySubCode)
	return strings.HasSuffix(sub, "bill_not_exist") || strings.HasSuffix(sub, "no_bill_data")
}

// fetchBill GETs the zip with the channel's HTTP client (its timeout), refusing anything
// but a 200 of at most MaxBillZip bytes. The link is never logged: it grants the download.
func (c *Channel) fetchBill(ctx context.Context, link string) ([]byte, error) {
	u, err := url.Parse(link)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, payment.Errorf(payment.CodeUpstreamUnavailable, "bill download: Alipay gave no usable link")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, payment.Errorf(payment.CodeUpstreamUnavailable, "bill download: %v", err)
	}
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, payment.Errorf(payment.CodeUpstreamUnavailable, "bill download from %s: %s", u.Host, transportReason(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, payment.Errorf(payment.CodeUpstreamUnavailable, "bill download from %s: HTTP %d", u.Host, resp.StatusCode)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxBillZip+1))
	switch {
	case err != nil:
		return nil, payment.Errorf(payment.CodeUpstreamUnavailable, "bill download from %s: %s", u.Host, transportReason(err))
	case len(data) > MaxBillZip:
		return nil, payment.Errorf(payment.CodeUpstreamUnavailable, "bill download: larger than %d bytes", MaxBillZip)
	}
	c.log.Info("bill downloaded", slog.String("host", u.Host), slog.Int("bytes", len(data)),
		slog.Duration("duration", time.Since(start)))
	return data, nil
}

// ParseBill reads a bill zip (Alipay's layout, internal/alipay/bill) into the core's
// types. Errors: INVALID_PARAMETER saying what is malformed and where.
func (c *Channel) ParseBill(data []byte) (*payment.Bill, error) {
	return ParseBill(data)
}

// ParseBill is Channel.ParseBill without a channel (reading a bill needs no key).
func ParseBill(data []byte) (*payment.Bill, error) {
	if len(data) > MaxBillZip {
		return nil, payment.Errorf(payment.CodeInvalidParameter, "the bill is larger than %d bytes", MaxBillZip)
	}
	b, err := bill.Parse(data)
	if err != nil {
		return nil, payment.Errorf(payment.CodeInvalidParameter, "%v", err)
	}
	return convertBill(b)
}

// convertBill turns a parsed bill into the core's types: refund amounts positive.
func convertBill(b *bill.Bill) (*payment.Bill, error) {
	out := &payment.Bill{Account: b.Account, Rows: make([]payment.BillRow, 0, len(b.Trades))}
	if !b.From.IsZero() {
		if !b.To.IsZero() && !b.To.Equal(b.From.AddDate(0, 0, 1)) {
			return nil, payment.Errorf(payment.CodeInvalidParameter, "the bill covers %s to %s, not one day",
				b.From.Format(time.DateOnly), b.To.Format(time.DateOnly))
		}
		out.Day = payment.BillDayOf(b.From)
	}
	for _, r := range b.Trades {
		row := payment.BillRow{Line: r.Line, Kind: payment.BillTrade, TradeNo: r.TradeNo, OutTradeNo: r.OutTradeNo,
			RefundNo: r.RefundNo, Amount: payment.Amount(r.Amount), Received: payment.Amount(r.Received),
			Fee: payment.Amount(r.Fee), FinishedAt: r.FinishedAt.UTC()}
		if r.Kind == bill.KindRefund {
			row.Kind, row.Amount, row.Received = payment.BillRefund, -row.Amount, -row.Received
		}
		out.Rows = append(out.Rows, row)
	}
	if s := b.Summary; s != nil {
		out.Summary = &payment.BillSummary{TradeCount: s.Total.TradeCount, RefundCount: s.Total.RefundCount,
			Amount: payment.SignedAmount(s.Total.Amount), Fee: payment.SignedAmount(s.Total.Fee)}
	}
	return out, nil
}
