package wechat

// scanPageHTML is the simulated WeChat payment sheet the buyer sees after scanning.
const scanPageHTML = `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>微信支付（沙箱）</title>
<style>
body{margin:0;font-family:-apple-system,"PingFang SC","Microsoft YaHei",sans-serif;background:#ededed;color:#111}
header{background:#07c160;color:#fff;padding:14px 16px;font-size:17px}
main{max-width:420px;margin:24px auto;background:#fff;border-radius:8px;padding:24px;text-align:center}
.amount{font-size:40px;font-weight:600;margin:12px 0}
.muted{color:#888;font-size:14px}
.msg{margin:16px 0;font-size:16px}
button{display:block;width:100%;margin:10px 0;padding:12px;border:0;border-radius:6px;font-size:16px;cursor:pointer}
.pay{background:#07c160;color:#fff}
.other{background:#f2f2f2;color:#111}
</style>
</head>
<body>
<header>微信支付 · 沙箱</header>
<main>
{{if .Found}}
<div class="muted">商户号 {{.MchID}}</div>
<div>{{.Description}}</div>
<div class="amount" id="amount">¥{{.Yuan}}</div>
<div class="muted" id="state">{{.State}}</div>
{{if .Message}}<div class="msg" id="message">{{.Message}}</div>{{end}}
{{if .Payable}}
<form method="post" action="{{.Action}}">
<button class="pay" name="outcome" value="success" id="pay">确认支付</button>
<button class="other" name="outcome" value="insufficient_balance" id="insufficient">模拟零钱不足</button>
<button class="other" name="outcome" value="cancel" id="cancel">取消</button>
</form>
{{end}}
{{else}}
<div class="msg" id="message">{{.Message}}</div>
{{end}}
</main>
</body>
</html>
`
