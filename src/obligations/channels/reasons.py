"""Why a connection failed, in words an administrator reads on the channels page: the
exception's class and text (English, sometimes with an address) go to the server log only."""

from __future__ import annotations

import logging
import socket
import ssl

import httpx

log = logging.getLogger(__name__)

# The first matching class wins: subclasses before their bases.
_REASONS: tuple[tuple[type[BaseException], str], ...] = (
    (httpx.TimeoutException, "连接超时，对方在规定时间内没有应答"),
    (httpx.ProxyError, "代理服务器连接失败"),
    (httpx.UnsupportedProtocol, "地址格式不受支持（应以 https:// 或 http:// 开头）"),
    (httpx.RemoteProtocolError, "对方中途断开了连接"),
    (httpx.ConnectError, "连接失败：地址无法访问、域名无法解析或对方拒绝连接"),
    (httpx.ReadError, "连接中断：读取应答时出错"),
    (httpx.WriteError, "连接中断：发送数据时出错"),
    (httpx.TransportError, "网络连接失败"),
    (socket.gaierror, "无法解析服务器地址（域名不存在或 DNS 不可用）"),
    (ConnectionRefusedError, "对方拒绝连接（端口未开放或服务未运行）"),
    (ConnectionResetError, "连接被对方重置"),
    (TimeoutError, "连接超时，对方在规定时间内没有应答"),
    (ssl.SSLError, "加密连接（TLS）建立失败，请检查端口与加密设置"),
    (OSError, "网络连接失败"),
)


def connection_failure(error: BaseException, *, where: str) -> str:
    """A Chinese reason for ``error`` (连接失败、超时、对方拒绝 ...); the technical detail is
    logged with ``where`` (a channel's name or host, never a URL that carries a key)."""
    log.warning("connection to %s failed: %s: %s", where, type(error).__name__, error)
    for kind, reason in _REASONS:
        if isinstance(error, kind):
            return reason
    return "网络连接失败"
