"""The credit wallet: credit lines, a double-entry ledger, holds, charges, refunds, repayments."""
