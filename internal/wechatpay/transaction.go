package wechatpay

import (
	"errors"
	"fmt"
	"time"

	"github.com/f2fpay/f2fpay/internal/payment"
)

// Transaction is WeChat Pay's view of an order: the answer to a query, and the resource of
// a TRANSACTION.SUCCESS notification.
type Transaction struct {
	AppID         string
	MchID         string
	OutTradeNo    string
	TransactionID string // WeChat Pay's order number; set once paid
	TradeType     string // NATIVE, JSAPI, …
	State         TradeState
	StateDesc     string
	BankType      string
	Attach        string
	PayerOpenID   string
	Total         payment.Amount // amount.total: the order amount, fen
	PayerTotal    payment.Amount // amount.payer_total: what the buyer paid (after coupons)
	Currency      string
	SuccessTime   *time.Time // when paid; nil before
}

// wireTransaction is the JSON of a transaction. Pointers tell an absent amount from zero.
type wireTransaction struct {
	AppID          string `json:"appid"`
	MchID          string `json:"mchid"`
	OutTradeNo     string `json:"out_trade_no"`
	TransactionID  string `json:"transaction_id"`
	TradeType      string `json:"trade_type"`
	TradeState     string `json:"trade_state"`
	TradeStateDesc string `json:"trade_state_desc"`
	BankType       string `json:"bank_type"`
	Attach         string `json:"attach"`
	SuccessTime    string `json:"success_time"`
	Payer          struct {
		OpenID string `json:"openid"`
	} `json:"payer"`
	Amount struct {
		Total      *int64 `json:"total"`
		PayerTotal *int64 `json:"payer_total"`
		Currency   string `json:"currency"`
	} `json:"amount"`
}

// transaction checks the fields every use depends on and converts.
func (w wireTransaction) transaction() (*Transaction, error) {
	st := TradeState(w.TradeState)
	switch {
	case w.OutTradeNo == "" || w.MchID == "":
		return nil, errors.New("transaction without out_trade_no or mchid")
	case !st.Known():
		return nil, fmt.Errorf("undocumented trade_state %q", truncate(w.TradeState, 20))
	case w.Amount.Total == nil || *w.Amount.Total < 0:
		return nil, errors.New("transaction without amount.total")
	case st.Paid() && w.TransactionID == "":
		return nil, errors.New("paid transaction without transaction_id")
	}
	paid, err := parseTime("success_time", w.SuccessTime)
	if err != nil {
		return nil, err
	}
	t := &Transaction{AppID: w.AppID, MchID: w.MchID, OutTradeNo: w.OutTradeNo, TransactionID: w.TransactionID,
		TradeType: w.TradeType, State: st, StateDesc: w.TradeStateDesc, BankType: w.BankType, Attach: w.Attach,
		PayerOpenID: w.Payer.OpenID, Total: payment.Amount(*w.Amount.Total), Currency: w.Amount.Currency, SuccessTime: paid}
	if w.Amount.PayerTotal != nil {
		t.PayerTotal = payment.Amount(*w.Amount.PayerTotal)
	}
	return t, nil
}
