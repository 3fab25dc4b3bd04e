/**
 * This instance's HikariCP pools under the budget: sizing them before they start, resizing
 * them at run time, and the plan they follow.
 */
@NullMarked
package io.dbbudget.pool;

import org.jspecify.annotations.NullMarked;
