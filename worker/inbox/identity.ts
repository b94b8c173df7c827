/**
 * What makes two deliveries the same event. K2 delivers at least once and out of order, so the inbox
 * keeps one row per identity:
 * - a webhook: its `id` (K2's event id, the same on every delivery);
 * - a result: `data.id` with `data.type` and `attributes.status`, since K2 may post a resource's
 *   result again when its status changes (Pending, then Success), and each status is news;
 * - a Daraja payload (a subscription with `enable_daraja_payload`): its `TransID`.
 */
import type { K2Notification } from "../../src/api/index.ts";
import { sha256Hex } from "../common/sha256.ts";
import type { NewEvent } from "./object.ts";

export function identityOf(notification: K2Notification): string {
  switch (notification.kind) {
    case "webhook":
    case "unknown_webhook":
      return ["webhook", notification.payload.id].join("\n");
    case "result":
    case "unknown_result": {
      const { id, type, attributes } = notification.payload.data;
      const status = (attributes as Record<string, unknown> | undefined)?.status;
      return ["result", type, id, typeof status === "string" ? status : ""].join("\n");
    }
    case "daraja":
      return ["daraja", notification.payload.TransID].join("\n");
  }
}

/** The event as the inbox keeps it; its id is a digest of its identity (32 hex digits). */
export async function newEvent(notification: K2Notification, payload: string): Promise<NewEvent> {
  return {
    id: (await sha256Hex(identityOf(notification))).slice(0, 32),
    kind: notification.kind,
    topic: "topic" in notification ? notification.topic : null,
    type: "type" in notification ? notification.type : null,
    payload,
  };
}
