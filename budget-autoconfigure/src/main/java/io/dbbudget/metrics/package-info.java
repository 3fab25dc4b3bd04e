/**
 * Micrometer metrics of db-budget: budgets, the server's connections, and retried and failed
 * connection acquisitions.
 */
@NullMarked
package io.dbbudget.metrics;

import org.jspecify.annotations.NullMarked;
