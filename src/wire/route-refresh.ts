/** ROUTE-REFRESH (RFC 2918 §3) with the enhanced subtypes BoRR/EoRR (RFC 7313 §3.2). */
import { ErrorCode, type Family, family, familyAfi, familySafi, RouteRefreshSubcode } from './constants.js';
import { BgpError } from './errors.js';
import type { Writer } from './writer.js';

export interface RouteRefreshMessage {
  readonly type: 'route-refresh';
  readonly family: Family;
  /** RefreshSubtype: 0 normal request, 1 BoRR, 2 EoRR. */
  readonly subtype: number;
}

export function decodeRouteRefresh(body: Uint8Array): RouteRefreshMessage {
  // RFC 7313 §5: a length other than 23 is ROUTE-REFRESH Message Error / Invalid Message Length,
  // with the complete message as data.
  if (body.length !== 4) {
    const data = new Uint8Array(19 + body.length);
    data.fill(0xff, 0, 16);
    data[16] = (19 + body.length) >> 8;
    data[17] = (19 + body.length) & 255;
    data[18] = 5;
    data.set(body, 19);
    throw new BgpError(
      ErrorCode.ROUTE_REFRESH_MESSAGE,
      RouteRefreshSubcode.INVALID_MESSAGE_LENGTH,
      data,
      `ROUTE-REFRESH length ${19 + body.length}`,
    );
  }
  return { type: 'route-refresh', family: family((body[0] << 8) | body[1], body[3]), subtype: body[2] };
}

export function writeRouteRefresh(w: Writer, m: RouteRefreshMessage): void {
  w.u16(familyAfi(m.family)).u8(m.subtype).u8(familySafi(m.family));
}
