"""The client's address as every throttle and the login lockout see it.

`REMOTE_ADDR`, unless `POS_NUM_PROXIES` (REST_FRAMEWORK["NUM_PROXIES"]) proxies stand in front,
in which case the hop of `X-Forwarded-For` that the nearest of them vouches for: the same rule as
DRF's throttles, so a client cannot pick its own address by sending the header. Behind the nginx
gateway (one proxy, which replaces the header) POS_NUM_PROXIES is 1; without the gateway it must
stay 0, or any client could name its own address.
"""

from django.conf import settings


def client_address(request) -> str:
    proxies = settings.REST_FRAMEWORK.get("NUM_PROXIES") or 0
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            return hops[-min(proxies, len(hops))]
    return request.META.get("REMOTE_ADDR", "")
