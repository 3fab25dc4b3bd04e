/**
 * Auto-configuration for db-budget, one class per concern: the budget and its pool
 * post-processor, the server activity sample, the {@code dbconnections} endpoint, the
 * {@code dbBudget} health indicator and the metrics; with the properties and the failure
 * analyzers.
 */
@NullMarked
package io.dbbudget.autoconfigure;

import org.jspecify.annotations.NullMarked;
