/**
 * The connection budget arithmetic: from the server's limits and the fleet's settings to the
 * number of connections each pool of this instance may open. Knows nothing of Spring or JDBC.
 */
@NullMarked
package io.dbbudget.budget;

import org.jspecify.annotations.NullMarked;
