/**
 * Retry of connection acquisition: which failures are transient, and the DataSource that
 * retries them with back-off.
 */
@NullMarked
package io.dbbudget.retry;

import org.jspecify.annotations.NullMarked;
