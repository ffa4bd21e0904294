"""TON through liteservers: ADNL over TCP (`adnl`), lite_api TL (`tl`), a client per server
(`client`), a pool of servers (`pool`), the global config (`config`), and an in-process
liteserver front end for tests (`server`)."""
