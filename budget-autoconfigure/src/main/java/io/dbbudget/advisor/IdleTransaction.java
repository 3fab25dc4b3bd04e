package io.dbbudget.advisor;

import java.time.Duration;

/**
 * A session of the fleet's own application and role that waits, idle, inside a transaction.
 * What it ran is none of the advisor's business.
 *
 * @param pid the server process
 * @param idleFor how long it has been idle in the transaction
 * @param transactionAge how long its transaction has been open
 * @author db-budget team
 */
public record IdleTransaction(int pid, Duration idleFor, Duration transactionAge) {

}
