/**
 * Test infrastructure: the PostgreSQL server the tests use ({@link io.dbbudget.test.TestServer}),
 * per-test-class databases and roles ({@link io.dbbudget.test.TestDatabase}) and private
 * servers with their own settings ({@link io.dbbudget.test.PrivateServer}); the same for MariaDB
 * ({@link io.dbbudget.test.TestMariaDb}, {@link io.dbbudget.test.MariaDbDatabase},
 * {@link io.dbbudget.test.PrivateMariaDb}), with both MySQL drivers ({@link io.dbbudget.test.MySqlDriver}).
 */
@NullMarked
package io.dbbudget.test;

import org.jspecify.annotations.NullMarked;
