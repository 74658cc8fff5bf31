-- Orders carry the channel they are paid through: alipay (every order before this
-- migration) or wechat (docs/api.md, "channel"; docs/decisions.md, "WeChat Pay channel").
-- It is set at creation and never changes.

ALTER TABLE orders ADD COLUMN channel TEXT NOT NULL DEFAULT 'alipay';
