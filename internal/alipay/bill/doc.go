// Package bill parses Alipay's daily trade bill: the zip that
// alipay.data.dataservice.bill.downloadurl.query (bill_type=trade) points to, or that an
// operator downloads by hand from Alipay's merchant portal. It imports neither the Alipay
// SDK nor the payment core; money comes back as int64 fen, times in Asia/Shanghai.
//
// # Layout
//
// The zip ({account}_{yyyyMMdd}.csv.zip) holds two GBK-encoded CSV files whose names are
// GBK too, without the zip's UTF-8 flag: {account}_{yyyyMMdd}_业务明细.csv (the detail) and
// {account}_{yyyyMMdd}_业务明细(汇总).csv (the summary). Older bills carried other files
// (财务明细); they are ignored. The detail file reads:
//
//	#支付宝业务明细查询
//	#账号：[20880211096256330156]
//	#起始日期：[2019年09月16日 00:00:00]   终止日期：[2019年09月17日 00:00:00]
//	#-----------------------------------------业务明细列表----------------------------------------
//	支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户,订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,券核销金额（元）,券名称,商家红包消费金额（元）,卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注
//	2019091622001458860515315453<TAB>,service_1568601259302<TAB>,交易<TAB>,…,0.01,0.01,…,<TAB>,0.00,0.00,…
//	2019091622001458860515315453<TAB>,service_1568601259302<TAB>,退款<TAB>,…,-0.01,-0.01,…,re_test_1568602607356<TAB>,0.00,0.00,…
//	#-----------------------------------------业务明细列表结束------------------------------------
//	#交易合计：6笔，商家实收共0.06元，商家优惠共0.00元
//	#退款合计：4笔，商家实收退款共-0.04元，商家优惠退款共0.00元
//	#导出时间：[2019年09月17日 05:46:49]
//
// One row per trade (业务类型 交易) and per refund (退款, negative amounts, the refund's
// out_request_no in 退款批次号/请求号). 服务费 is negative when Alipay charges it (trades) and
// positive when it gives it back (refunds). The footer's 商家实收共 sums the rows' 商家实收.
// The summary file starts with #支付宝业务汇总查询 and the same 账号 and date lines, then a
// 业务汇总列表 marker, the header 门店编号,门店名称,交易订单总笔数,退款订单总笔数,订单金额（元）,
// 商家实收（元）,支付宝优惠（元）,商家优惠（元）,卡消费金额（元）,服务费（元）,分润（元）,实收净额（元）,
// one row per store, a 合计 row, the 业务汇总列表结束 marker and the export time.
//
// # Where this layout comes from
//
// No official sample file is published with the API. The layout above was reproduced from
// public code that parses or produces real bills, read side by side:
//   - a Java payment library's unit test that embeds, verbatim, a bill downloaded from
//     Alipay's sandbox for 2019-09-16 (six trades, four refunds, the footer above, trailing
//     tabs after identifiers, 0.00 fees);
//   - a Java reconciliation test that generates bills in a newer production shape (a
//     29-column variant with 实收净额（元）, 商户识别号, 交易方式, 花呗分期 columns, "退款批次号"
//     without "/请求号", a fee of -0.59 on a 295.00 trade), with footer figures that look
//     copied from a real bill;
//   - open-source reconciliation services in Java, Go, PHP and TypeScript that locate the
//     detail file by the suffix 业务明细.csv, the header row after the 业务明细列表 marker, the
//     rows up to 业务明细列表结束, the 交易合计/退款合计 lines, and read the summary file's
//     columns and its 合计 row (two lines before the end of the file);
//   - a Go service noting that the zip's Chinese entry names are GBK without the UTF-8 flag.
//
// The committed fixture, testdata/20881021234567890156_20261128.csv.zip, follows this
// layout: GBK files with GBK names, CRLF, trailing tabs, trades, a partial refund, fees and a
// footer and summary that add up. Its text is in bill_test.go; regenerate it with
// go test ./internal/alipay/bill -run TestFixtureIsCurrent -update.
//
// What the samples do not settle, and this package therefore does not assume: whether the
// summary's amounts are net of refunds (the committed fixture assumes so; the parser only
// checks that 合计 equals the sum of the store rows), and any relation between the summary
// and the detail file beyond the shared account and dates.
//
// # Tolerated variations
//
// Columns are found by header name, not position; full-width and half-width parentheses,
// a "(元)" suffix and spaces in header names are ignored; cells lose surrounding spaces,
// tabs and ideographic spaces; amounts may carry thousands separators (quoted cells);
// a UTF-8 byte-order mark, or UTF-8 text instead of GBK, is accepted; lines may end in CRLF;
// the files are found by name suffix at any depth of the zip, or by their first line when a
// name is unreadable; times may use "/" for "-". Everything else malformed is a
// *FormatError naming the file, the line and the column.
package bill
