package bill

import (
	"archive/zip"
	"errors"
	"testing"
)

// FuzzParse feeds arbitrary detail and summary files, zipped as Alipay does, and the
// detail bytes as a zip of their own. Parse must never panic, must fail only with a
// *FormatError, and a bill it accepts must keep its promises: rows of a known kind signed
// as their kind, totals that are the rows' sum, a footer that agrees with them.
//
//	go test ./internal/alipay/bill -run '^$' -fuzz FuzzParse -fuzztime 60s
func FuzzParse(f *testing.F) {
	detail, summary := gbk(f, render(fixtureDetail)), gbk(f, render(fixtureSummary))
	f.Add(detail, summary)
	f.Add([]byte(render(fixtureDetail)), []byte(nil))
	f.Add(gbk(f, replace(fixtureDetail, ",1288.00,1288.00,", `,"1,288.00","1,288.00",`)), []byte("#支付宝业务汇总查询\n合计,1"))
	f.Add([]byte("支付宝交易号,商户订单号,业务类型,创建时间,完成时间,订单金额,商家实收\n1,2,退款,2026-11-28 09:15:02,2026-11-28 09:15:02,-1.00,-1.00\n#业务明细列表结束\n#退款合计：1笔，商家实收退款共-1.00元"), summary)
	f.Add(makeZip(f, zip.Store, fixtureEntries(f)...), []byte{})
	f.Fuzz(func(t *testing.T, detail, summary []byte) {
		check(t, detail)
		entries := []entry{{name: detailEntry, data: detail, gbkName: true}}
		if summary != nil {
			entries = append(entries, entry{name: summaryEntry, data: summary})
		}
		check(t, makeZip(t, zip.Store, entries...))
	})
}

func check(t *testing.T, zipData []byte) {
	b, err := Parse(zipData)
	if err != nil {
		var fe *FormatError
		if !errors.As(err, &fe) || !errors.Is(err, ErrFormat) || b != nil {
			t.Fatalf("error %T %v (bill %v)", err, err, b != nil)
		}
		return
	}
	for _, r := range b.Trades {
		switch {
		case r.TradeNo == "" || r.CreatedAt.IsZero() || r.FinishedAt.IsZero():
			t.Fatalf("accepted a row without trade number or times: %+v", r)
		case r.Kind == KindTrade && (r.Amount < 0 || r.Received < 0):
			t.Fatalf("accepted a negative trade: %+v", r)
		case r.Kind == KindRefund && (r.Amount > 0 || r.Received > 0):
			t.Fatalf("accepted a positive refund: %+v", r)
		case r.Kind != KindTrade && r.Kind != KindRefund:
			t.Fatalf("accepted kind %q", r.Kind)
		}
	}
	if sum(b.Trades) != b.DetailTotals {
		t.Fatalf("totals %+v are not the rows' sum", b.DetailTotals)
	}
	// A footer line the file lacks reads as 0.
	if f := b.Footer; f != nil && ((f.TradeCount != 0 && f.TradeCount != b.DetailTotals.TradeCount) ||
		(f.RefundCount != 0 && f.RefundCount != b.DetailTotals.RefundCount)) {
		t.Fatalf("footer %+v disagrees with the rows %+v", f, b.DetailTotals)
	}
	if s := b.Summary; s != nil && s.Total.Line == 0 {
		t.Fatal("accepted a summary without its 合计 row")
	}
}
