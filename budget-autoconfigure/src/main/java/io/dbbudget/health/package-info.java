/**
 * The {@code dbBudget} health indicator.
 */
@NullMarked
package io.dbbudget.health;

import org.jspecify.annotations.NullMarked;
