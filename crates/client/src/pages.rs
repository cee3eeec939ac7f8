//! Every page of a list: follow `next_cursor` until the server says there is no more.

use std::future::Future;

use futures_util::stream::{self, Stream, TryStreamExt};
use proxicloud_types::api::common::Paginated;
use proxicloud_types::api::instances::InstanceListDto;

use crate::Result;

/// One page of a list response.
pub trait Page {
    type Item;
    fn into_parts(self) -> (Vec<Self::Item>, Option<String>);
}

impl<T> Page for Paginated<T> {
    type Item = T;
    fn into_parts(self) -> (Vec<T>, Option<String>) {
        (self.items, self.next_cursor)
    }
}

impl Page for InstanceListDto {
    type Item = proxicloud_types::api::instances::InstanceDto;
    fn into_parts(self) -> (Vec<Self::Item>, Option<String>) {
        (self.items, self.next_cursor)
    }
}

/// The items of every page, fetched lazily: `fetch(cursor)` gets one page (`None`:
/// the first). Stops after the page without a `next_cursor`.
pub fn paginate<P, F, Fut>(fetch: F) -> impl Stream<Item = Result<P::Item>>
where
    P: Page,
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = Result<P>>,
{
    // State: the cursor of the next page, or `None` once the last page is in.
    let pages = stream::try_unfold(
        (Some(None::<String>), fetch),
        |(cursor, mut fetch)| async move {
            let Some(cursor) = cursor else {
                return Ok(None);
            };
            let (items, next) = fetch(cursor).await?.into_parts();
            let following = next.map(Some);
            Ok(Some((items, (following, fetch))))
        },
    );
    pages
        .map_ok(|items| stream::iter(items.into_iter().map(Ok)))
        .try_flatten()
}

/// Every item of every page, in order.
pub async fn collect_all<P, F, Fut>(fetch: F) -> Result<Vec<P::Item>>
where
    P: Page,
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = Result<P>>,
{
    paginate(fetch).try_collect().await
}
