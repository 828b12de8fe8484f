// Package stopswitch is the naming contract of the STOP pattern ("Secondary Takes Over Primary"),
// shared by the Pulumi program (components/traffic), which creates the stop buckets and the Route 53
// health checks that watch the drain switches, and by the `essha failover` command
// (internal/failover), which sets and clears them. Both sides compute every name here, so they
// cannot drift apart; the package depends on nothing but the standard library and internal/awsname,
// so the program does not link the S3 client.
//
// The contract, for a deployment D in account A with the regions R and P of a pair:
//
//   - Each region keeps one stop bucket, BucketName(D, A, region) = D-stop-A-region. The account ID
//     is part of the name so that nobody else can own a bucket of that name: a stranger's bucket
//     would answer the health checkers' probe with 200 or 301, which the inverted drain check reads
//     as "drained".
//   - The drain switch of region R is the object ObjectKey(R) = drain/R in the stop bucket of the
//     PEER region P, so R can be drained with one write to P while R is down. Its presence means
//     "R is drained".
//   - Route 53 watches the switch with an inverted HTTPS health check of the bucket's regional,
//     virtual-hosted host name, BucketFQDN(D, A, P) = D-stop-A-P.s3.P.amazonaws.com, and the resource
//     path /drain/R: Switch.FQDN, Switch.ResourcePath and Switch.URL.
//   - The names follow S3's bucket naming rules: CheckDeployment says which deployment names can
//     name stop buckets (no dots, so that S3's wildcard certificate matches the host the checks
//     connect to), and CheckBucketName that a bucket name fits S3's 63 characters.
//
// The program creates the buckets and the health checks but never manages the switch objects, so
// `pulumi up` cannot undo a failover.
package stopswitch
