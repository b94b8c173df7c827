/** Ledger writes and the inbox's stored events in workerd: harness/ledger-inbox.ts, in a process of its own. */
import { runLedgerInbox, type LedgerInboxInput, type LedgerInboxResult } from "../../harness/ledger-inbox.ts";
import { serveSection } from "../lib/child.ts";

serveSection<LedgerInboxInput, LedgerInboxResult>(runLedgerInbox);
