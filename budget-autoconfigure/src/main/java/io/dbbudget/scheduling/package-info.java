/**
 * The background thread that db-budget's periodic tasks run on. A package of its own so that
 * every package that schedules work can reach it without reaching each other.
 */
@NullMarked
package io.dbbudget.scheduling;

import org.jspecify.annotations.NullMarked;
